/**
 * A PDF drawn by pdf.js: every page as a canvas sized to the column (sharp on high-density
 * screens), with pdf.js's text layer over it so the text can be selected, found and read by
 * screen readers. Loaded only when a letter is opened. Printing prints these pages (at most
 * MAX_PAGES; a longer document is printed from the browser's own viewer, see LetterToolbar).
 */
import * as pdfjs from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';
import { useEffect, useRef, useState } from 'react';
import { Loading } from '../app/states.js';
import { useI18n } from '../i18n/index.js';

pdfjs.GlobalWorkerOptions.workerSrc = workerUrl;

/** The data pdf.js reads when a PDF needs it (served from dist/pdfjs, see vite.config.ts). */
const dataUrls = {
  wasmUrl: '/pdfjs/wasm/',
  cMapUrl: '/pdfjs/cmaps/',
  standardFontDataUrl: '/pdfjs/standard_fonts/',
  iccUrl: '/pdfjs/iccs/',
};

const MAX_PAGES = 100;

type State = { status: 'loading' | 'ready' | 'failed'; pages: number };

export function PdfView({ url, name }: { url: string; name: string }) {
  const { t } = useI18n();
  const container = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<State>({ status: 'loading', pages: 0 });
  // Page labels follow the language without drawing the document again.
  const label = useRef(t);
  label.current = t;

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const abort = new AbortController();
    let task: pdfjs.PDFDocumentLoadingTask | undefined;
    (async () => {
      const response = await fetch(url, { credentials: 'same-origin', signal: abort.signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = new Uint8Array(await response.arrayBuffer());
      if (abort.signal.aborted) return;
      task = pdfjs.getDocument({ data, useSystemFonts: true, ...dataUrls });
      const pdf = await task.promise;
      const count = Math.min(pdf.numPages, MAX_PAGES);
      // Printing prints the pages drawn here; the toolbar prints a longer document through the
      // browser's own viewer instead, which has every page.
      if (pdf.numPages > MAX_PAGES) element.dataset.truncated = 'true';
      const width = Math.max(280, element.clientWidth);
      const ratio = window.devicePixelRatio || 1;
      for (let n = 1; n <= count && !abort.signal.aborted; n++) {
        const page = await pdf.getPage(n);
        const base = page.getViewport({ scale: 1 });
        const viewport = page.getViewport({ scale: width / base.width });
        const wrapper = document.createElement('div');
        wrapper.className = 'pdf-page';
        wrapper.style.width = `${Math.floor(viewport.width)}px`;
        wrapper.style.height = `${Math.floor(viewport.height)}px`;
        wrapper.style.setProperty('--scale-factor', String(viewport.scale));
        wrapper.style.setProperty('--total-scale-factor', String(viewport.scale));
        const canvas = document.createElement('canvas');
        canvas.width = Math.floor(viewport.width * ratio);
        canvas.height = Math.floor(viewport.height * ratio);
        canvas.setAttribute('role', 'img');
        canvas.dataset.page = String(n);
        canvas.setAttribute('aria-label', label.current('letter.page', { page: n, pages: pdf.numPages }));
        const textLayer = document.createElement('div');
        textLayer.className = 'textLayer';
        wrapper.append(canvas, textLayer);
        element.append(wrapper);
        await page.render({
          canvas,
          viewport,
          ...(ratio !== 1 ? { transform: [ratio, 0, 0, ratio, 0, 0] } : {}),
        }).promise;
        await new pdfjs.TextLayer({ textContentSource: page.streamTextContent(), container: textLayer, viewport })
          .render()
          .catch(() => undefined);
        if (n === 1 && !abort.signal.aborted) setState({ status: 'ready', pages: pdf.numPages });
      }
      if (!abort.signal.aborted) element.dataset.rendered = String(count);
    })().catch(() => {
      if (!abort.signal.aborted) setState({ status: 'failed', pages: 0 });
    });
    return () => {
      abort.abort();
      void task?.destroy();
      element.replaceChildren();
      delete element.dataset.rendered;
      delete element.dataset.truncated;
    };
  }, [url]);

  useEffect(() => {
    for (const canvas of container.current?.querySelectorAll<HTMLCanvasElement>('canvas[data-page]') ?? []) {
      canvas.setAttribute('aria-label', t('letter.page', { page: Number(canvas.dataset.page), pages: state.pages }));
    }
  }, [t, state.pages]);

  return (
    <div className="pdf">
      {state.status === 'loading' ? <Loading label={t('letter.pdfLoading')} /> : null}
      {state.status === 'failed' ? (
        <p className="notice" role="alert">
          {t('letter.pdfFailed')}
        </p>
      ) : null}
      <div ref={container} className="pdf-pages printable" data-name={name} />
      {state.pages > MAX_PAGES ? (
        <p className="notice printable">{t('letter.morePages', { shown: MAX_PAGES, pages: state.pages })}</p>
      ) : null}
    </div>
  );
}
