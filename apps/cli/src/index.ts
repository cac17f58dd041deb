export { seedDemo } from './demo.js';
export { samplePdf } from './sample-pdf.js';
