import { type RefObject, useEffect, useRef, useState } from 'react';

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
 * moves to what `target` finds instead of falling back to the start of the page: call the
 * returned function with the change; the focus moves once the page shows the result.
 */
export function useFocusNext(target: () => HTMLElement | null | undefined): () => void {
  const [request, setRequest] = useState(0);
  const find = useRef(target);
  find.current = target;
  useEffect(() => {
    if (request > 0) find.current()?.focus();
  }, [request]);
  return () => setRequest((n) => n + 1);
}
