import PDFDocument from 'pdfkit';

const paragraph =
  'Vi viser til din henvendelse og har nå behandlet saken. Vedtaket er fattet med hjemmel i gjeldende ' +
  'regelverk. Du har rett til å klage på vedtaket innen seks uker fra du mottok dette brevet. Klagen skal ' +
  'sendes til oss, og du bør begrunne hvorfor du mener vedtaket er feil. Du har også rett til å se ' +
  'dokumentene i saken din. ';

/**
 * A realistic one-page letter as PDF (about 30 KB: letterhead, text, a table, footer), for the
 * demo, the tests and the benchmarks. `body` replaces the standard text when given.
 */
export function samplePdf(options: { title: string; body?: string; reference?: string }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 56, compress: false, info: { Title: options.title } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.rect(56, 40, 40, 40).fill('#1f4e79');
    doc.fillColor('#1f4e79').font('Helvetica-Bold').fontSize(16).text('Postkasse demo', 110, 52);
    doc
      .fillColor('black')
      .font('Helvetica')
      .fontSize(9)
      .text(`Ref: ${options.reference ?? '2026/12345'}`, 400, 52);
    doc.moveDown(3).font('Helvetica-Bold').fontSize(14).text(options.title, 56);
    doc.moveDown().font('Helvetica').fontSize(10.5);
    if (options.body) {
      doc.text(options.body, { align: 'left' });
    } else {
      for (let i = 0; i < 5; i++) doc.text(paragraph.repeat(2), { align: 'justify' }).moveDown(0.5);
      let y = doc.y + 10;
      for (let row = 0; row < 16; row++) {
        doc.text(`Post ${row + 1}`, 56, y).text(`${(row * 1234.5).toFixed(2)} kr`, 400, y);
        doc
          .moveTo(56, y + 14)
          .lineTo(540, y + 14)
          .stroke('#cccccc');
        y += 18;
      }
    }
    doc.fontSize(8).fillColor('#555555').text('Dette brevet er sendt digitalt og er gyldig uten underskrift.', 56, 780);
    doc.end();
  });
}
