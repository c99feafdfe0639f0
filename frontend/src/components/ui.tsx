import { useLayoutEffect, useRef, type ReactNode } from "react";
import type { CombinedError } from "urql";
import { errorMessage } from "../lib/errors";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="state loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </div>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <div className="state empty">{children}</div>;
}

export function ErrorState({ error, onRetry }: { error: CombinedError; onRetry?: () => void }) {
  return (
    <div className="state error-state" role="alert">
      <p>{errorMessage(error)}</p>
      {onRetry && (
        <button type="button" className="secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** The foot of a paged list: "Loading more…" while a page loads, else a button for the next one. */
export function LoadMore({ fetching, pageInfo, onMore }: {
  fetching: boolean;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  onMore: (after: string | null) => void;
}) {
  if (fetching) return <Loading label="Loading more…" />;
  if (!pageInfo.hasNextPage) return null;
  return (
    <button type="button" className="secondary wide" onClick={() => onMore(pageInfo.endCursor ?? null)}>
      Load more
    </button>
  );
}

export function CelebrityBadge() {
  return (
    <span className="badge" title="Celebrity: merged into feeds at read time" data-testid="celebrity-badge">
      <span aria-hidden="true">★</span>
      <span className="sr-only">Celebrity</span>
    </span>
  );
}

export function Avatar({ name, size = 40 }: { name: string; size?: number }) {
  const letter = (name.trim()[0] ?? "?").toUpperCase();
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) | 0;
  const hue = Math.abs(hash) % 360;
  return (
    <span className="avatar" aria-hidden="true"
      style={{ width: size, height: size, fontSize: size * 0.45, background: `hsl(${hue} 55% 32%)` }}>
      {letter}
    </span>
  );
}

/**
 * A modal dialog (native <dialog>: focus kept inside, the page behind is inert). `onClose` runs on Escape; the
 * owner closes it by setting `open` and puts focus back where it belongs.
 */
export function Dialog({ open, onClose, labelledBy, describedBy, children, className, testId }: {
  open: boolean;
  onClose: () => void;
  labelledBy: string;
  describedBy?: string;
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  // A layout effect, so that closing with flushSync(() => setOpen(false)) leaves the page interactive at once
  // and the owner can move focus right after (an open modal dialog makes everything else inert).
  useLayoutEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      if (typeof d.showModal === "function") d.showModal();
      else d.setAttribute("open", "");
      d.querySelector<HTMLElement>("[data-autofocus]")?.focus();
    } else if (!open && d.open) {
      if (typeof d.close === "function") d.close();
      else d.removeAttribute("open");
    }
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={labelledBy} aria-describedby={describedBy} className={className}
      data-testid={testId} onCancel={(e) => { e.preventDefault(); onClose(); }}>
      {open && children}
    </dialog>
  );
}
