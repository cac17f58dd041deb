import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generate, openapiPath, schemaPath } from '../scripts/generate.js';

const HINT = 'The API changed without regenerating the SDK: run `npm run sdk:generate` and commit the result.';

describe('the generated SDK files match the current server', () => {
  it('openapi.json and src/schema.ts are what the server produces now', async () => {
    const fresh = await generate();
    const [openapiJson, schemaTs] = await Promise.all([readFile(openapiPath, 'utf8'), readFile(schemaPath, 'utf8')]);
    // Plain comparisons first, so a mismatch fails with the hint rather than a 300 KB diff.
    expect(openapiJson === fresh.openapiJson, `packages/sdk/openapi.json is stale. ${HINT}`).toBe(true);
    expect(schemaTs === fresh.schemaTs, `packages/sdk/src/schema.ts is stale. ${HINT}`).toBe(true);
  }, 60_000);
});
