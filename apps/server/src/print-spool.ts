/**
 * The embedded print provider: each print job becomes a folder in a spool directory with the
 * documents, an address sheet (PDF) and a manifest (job.json), the way a printing house picks
 * jobs up. A folder appears whole (written aside, then renamed) and the same letter twice is
 * the same job.
 */
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PostalAddress, PrintJob, PrintProvider } from '@postkasse/core';

export function addressLines(name: string, address: PostalAddress): string[] {
  return address.type === 'norwegian'
    ? [name, ...address.addressLines, `${address.postalCode} ${address.city}`]
    : [name, ...address.addressLines, address.country.toUpperCase()];
}

// pdfkit (with its fonts) loads with the first print job: most servers print seldom or never.
async function addressSheet(job: PrintJob): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit');
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: `Address sheet ${job.letterId}` } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    const ret = job.details.returnAddress;
    if (ret) {
      doc.font('Helvetica').fontSize(8).text(addressLines(ret.name, ret.address).join(', '), 56, 100);
    }
    // The recipient block sits where a C5/C4 window envelope shows it.
    doc
      .font('Helvetica')
      .fontSize(11)
      .text(addressLines(job.details.recipient.name, job.details.recipient.address).join('\n'), 56, 140);
    doc.fontSize(8).fillColor('#555555').text(`${job.senderName} · ${job.letterId}`, 56, 780);
    doc.end();
  });
}

const safeName = (i: number, filename: string) =>
  `${String(i + 1).padStart(2, '0')}-${filename.replace(/[^\w.-]/g, '_')}`;

export function spoolPrintProvider(dir: string): PrintProvider {
  return {
    async submit(job) {
      const target = join(dir, job.letterId);
      const exists = await stat(target).then(
        () => true,
        () => false,
      );
      if (exists) return { reference: job.letterId };
      const temp = join(dir, `.tmp-${job.letterId}-${process.pid}`);
      await rm(temp, { recursive: true, force: true });
      await mkdir(temp, { recursive: true, mode: 0o700 });
      const files = job.documents.map((d, i) => ({ name: safeName(i, d.filename), doc: d }));
      await writeFile(join(temp, '00-address-sheet.pdf'), await addressSheet(job), { mode: 0o600 });
      for (const f of files) await writeFile(join(temp, f.name), f.doc.content, { mode: 0o600 });
      const manifest = {
        letterId: job.letterId,
        sender: job.senderName,
        recipient: job.details.recipient,
        returnAddress: job.details.returnAddress ?? null,
        colour: job.details.colour,
        undeliverable: job.details.undeliverable,
        files: [
          { name: '00-address-sheet.pdf', role: 'address-sheet' },
          ...files.map((f) => ({ name: f.name, role: f.doc.role, mediaType: f.doc.mediaType })),
        ],
      };
      await writeFile(join(temp, 'job.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
      await rename(temp, target);
      return { reference: job.letterId };
    },
  };
}
