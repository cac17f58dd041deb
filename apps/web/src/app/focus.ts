import { type RefObject, useEffect, useState } from 'react';

/**
 * After navigating inside the app, move focus to the new page's heading (tabIndex -1), so a
 * keyboard or screen-reader user starts at the top of what changed, as after a page load.
 */
export function useFocusOnChange(ref: RefObject<HTMLElement | null>, key: unknown): void {
  useEffect(() => {
    if (key === undefined) return;
    // The first page of a visit keeps the browser's own starting point.
    if (!navigated) {
      navigated = true;
      return;
    }
    ref.current?.focus({ preventScroll: false });
  }, [key, ref]);
}

let navigated = false;

/**
 * When a control a keyboard user just used goes away (a form closes, a button is replaced), focus
 * moves to `ref` instead of falling back to the start of the page: call the returned function
 * right before the change; the focus moves once the element is there.
 */
export function useFocusNext(ref: RefObject<HTMLElement | null>): () => void {
  const [request, setRequest] = useState(0);
  useEffect(() => {
    if (request > 0) ref.current?.focus();
  }, [request, ref]);
  return () => setRequest((n) => n + 1);
}
