/** A document in the page: PDF through pdf.js, images and plain text as they are, else a download. */
import { documentUrl, type LetterDocument } from '@postkasse/sdk/recipient';
import { Suspense, useEffect, useState } from 'react';
import { client } from '../api.js';
import { useRetryableLazy } from '../app/lazy.js';
import { Loading } from '../app/states.js';
import { useI18n } from '../i18n/index.js';

const loadPdfView = () => import('./PdfView.js').then((m) => ({ default: m.PdfView }));

export function DocumentView({
  mailboxId,
  letterId,
  document,
}: {
  mailboxId: string;
  letterId: string;
  document: LetterDocument;
}) {
  const { t } = useI18n();
  const { Lazy: PdfView, Boundary } = useRetryableLazy(loadPdfView);
  const url = documentUrl(client, mailboxId, letterId, document.id);
  const name = document.title ?? document.filename;
  let body: React.ReactNode;
  if (document.mediaType === 'application/pdf') {
    body = (
      <Suspense fallback={<Loading label={t('letter.pdfLoading')} />}>
        <Boundary>
          <PdfView url={url} name={name} />
        </Boundary>
      </Suspense>
    );
  } else if (/^image\/(png|jpeg|gif|webp)$/.test(document.mediaType)) {
    body = <img className="document-image printable" src={url} alt={name} />;
  } else if (document.mediaType.startsWith('text/plain')) {
    body = <TextView url={url} />;
  } else {
    body = <p className="notice">{t('letter.noPreview')}</p>;
  }
  return (
    <section className="document" aria-label={`${t('letter.document')}: ${name}`}>
      {body}
    </section>
  );
}

function TextView({ url }: { url: string }) {
  const { t } = useI18n();
  const [text, setText] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const controller = new AbortController();
    fetch(url, { credentials: 'same-origin', signal: controller.signal })
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(String(r.status)))))
      .then(setText)
      .catch(() => {
        if (!controller.signal.aborted) setFailed(true);
      });
    return () => controller.abort();
  }, [url]);
  if (failed) return <p className="notice">{t('letter.pdfFailed')}</p>;
  if (text === null) return <Loading />;
  return <pre className="document-text printable">{text}</pre>;
}
