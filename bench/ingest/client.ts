/**
 * The load generator, a child process of run.ts: sends letters to POST /api/v1/messages over
 * keep-alive connections (undici Pool, one connection per in-flight request), first a warm-up,
 * then the measured letters, and reports throughput and latency to the parent over IPC.
 *
 * The multipart body is assembled from pre-built byte slices (boundary, headers, the PDF) with
 * only the letter JSON made per request, so the client spends as little of the machine's CPU as
 * possible: on a 2-core box it shares the cores with the server.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import {
  childConfig,
  latencyStats,
  measure,
  readDocuments,
  runAsChild,
  tell,
  type WarmupConfig,
  warmUp,
} from './shared.js';

export type ClientConfig = WarmupConfig & {
  url: string;
  apiKey: string;
  recipients: string[];
  letters: number;
  pdfDir: string;
  requestTimeoutMs: number;
};

const BOUNDARY = '----postkasse-bench-7d3f0c5a9e41';

function multipartParts(pdf: Buffer): { head: Buffer; middle: Buffer; tail: Buffer } {
  return {
    // No Content-Type on the message part, as FormData sends a string field: with
    // `application/json` @fastify/multipart hands the server an object, which it refuses (400).
    head: Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="message"\r\n\r\n`),
    middle: Buffer.concat([
      Buffer.from(
        `\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="main"; filename="x.pdf"\r\n` +
          'Content-Type: application/pdf\r\n\r\n',
      ),
      pdf,
    ]),
    tail: Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  };
}

async function main(): Promise<void> {
  const config = childConfig<ClientConfig>();
  const documents = (await readDocuments(config.pdfDir)).map(multipartParts);
  const origin = new URL(config.url).origin;
  const http = new Pool(origin, {
    connections: config.concurrency,
    pipelining: 1,
    headersTimeout: config.requestTimeoutMs,
    bodyTimeout: config.requestTimeoutMs,
  });
  const headers = {
    authorization: `Bearer ${config.apiKey}`,
    'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
  };

  let errors = 0;
  let firstError: string | null = null;
  const fail = (message: string) => {
    errors++;
    firstError ??= message;
  };

  async function send(i: number): Promise<number> {
    const letter = {
      id: randomUUID(),
      recipient: { nationalId: config.recipients[i % config.recipients.length] },
      subject: `Vedtak ${i}`,
      documents: [{ part: 'main', role: 'main', filename: 'x.pdf', mediaType: 'application/pdf' }],
    };
    const parts = documents[i % documents.length]!;
    const body = Buffer.concat([parts.head, Buffer.from(JSON.stringify(letter)), parts.middle, parts.tail]);
    const started = performance.now();
    try {
      const res = await http.request({ path: '/api/v1/messages', method: 'POST', headers, body });
      const text = await res.body.text();
      const ms = performance.now() - started;
      if (res.statusCode !== 201) {
        fail(`HTTP ${res.statusCode}: ${text.slice(0, 500)}`);
      } else {
        const answer = JSON.parse(text) as { id?: string; status?: string };
        if (answer.status !== 'DELIVERED' || answer.id !== letter.id) {
          fail(`unexpected answer: ${text.slice(0, 500)}`);
        }
      }
      return ms;
    } catch (error) {
      fail(`transport error: ${String(error)}`);
      return performance.now() - started;
    }
  }

  const warmed = await warmUp(config, send);
  if (errors > 0) throw new Error(`${errors} of ${warmed} warm-up letters failed; first: ${firstError}`);

  const { latencies, wallMs, cpuMs, rates } = await measure(config, warmed, send);
  await http.close();
  await tell({
    type: 'result',
    result: {
      letters: config.letters,
      warmupLetters: warmed,
      errors,
      firstError,
      wallMs,
      lettersPerSecond: (config.letters / wallMs) * 1000,
      latency: latencyStats(latencies),
      rates,
      latenciesMs: latencies,
      cpuMs,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    },
  });
}

runAsChild(main);
