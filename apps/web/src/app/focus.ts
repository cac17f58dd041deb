import { type RefObject, useEffect } from 'react';

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
