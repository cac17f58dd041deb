/**
 * Parts of the app loaded when first needed (the letter page with pdf.js, settings). A part that
 * cannot be loaded (offline, or a new version deployed since the page was opened, whose files
 * have other names) shows the connection error with "Try again" instead of an empty page: the
 * first retry loads it again, a later one (online) reloads the page to get the current version.
 */
import { Component, type ComponentType, lazy, type ReactNode, useMemo, useState } from 'react';
import { ErrorNotice } from './states.js';

class LoadBoundary extends Component<{ children: ReactNode; onRetry(): void }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <ErrorNotice
        error={null}
        messageKey="error.network"
        onRetry={() => {
          this.setState({ failed: false });
          this.props.onRetry();
        }}
      />
    );
  }
}

/** `lazy` whose failed load can be tried again (React keeps a failed lazy component failed). */
export function useRetryableLazy<P extends object>(
  load: () => Promise<{ default: ComponentType<P> }>,
): { Lazy: ComponentType<P>; Boundary: ComponentType<{ children: ReactNode }> } {
  const [attempt, setAttempt] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new attempt makes a new lazy component
  const Lazy = useMemo(() => lazy(load), [attempt]);
  const Boundary = useMemo(
    () =>
      function Boundary({ children }: { children: ReactNode }) {
        return (
          <LoadBoundary
            key={attempt}
            onRetry={() => {
              if (attempt > 0 && navigator.onLine) window.location.reload();
              else setAttempt((n) => n + 1);
            }}
          >
            {children}
          </LoadBoundary>
        );
      },
    [attempt],
  );
  return { Lazy, Boundary };
}
