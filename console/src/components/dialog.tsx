import type { ComponentChildren, RefObject } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export interface DialogProps {
  /** The id of the element that names the dialog (its heading). */
  labelledBy: string;
  class?: string;
  /** While busy, Escape does not close the dialog (the action it started is still running). */
  busy?: boolean;
  /** Escape: the owner stops rendering the dialog. */
  onCancel: () => void;
  /** What has the focus once open; without it the browser picks (an `autoFocus` field, else the first control). */
  initialFocus?: RefObject<HTMLElement>;
  children: ComponentChildren;
}

const focusPlaced = () => document.activeElement !== null && document.activeElement !== document.body;

/**
 * A modal `<dialog>`, open for as long as it is rendered. Escape asks the owner to close it;
 * on close the focus goes back to where it was before (or to the page's main region, when that
 * control has gone meanwhile, such as the row of a deleted item).
 */
export function Dialog(props: DialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const latest = useRef(props);
  latest.current = props;
  // Set while this component closes the dialog itself, so that its close event is not taken
  // for the browser closing it.
  const closing = useRef(false);

  useEffect(() => {
    const element = dialog.current;
    if (element === null) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!element.open) element.showModal();
    latest.current.initialFocus?.current?.focus();
    return () => {
      closing.current = true;
      element.close();
      const restore = () => (opener !== null && opener.isConnected ? opener : document.getElementById('main'))?.focus({ preventScroll: true });
      restore();
      // The render that closes the dialog may go on to remove the opener (the row of what was
      // just deleted), dropping the focus to the body: look again once that render is done.
      setTimeout(() => focusPlaced() || restore(), 0);
    };
  }, []);

  // Controls disabled while busy drop the focus: take it back into the dialog afterwards.
  const busy = props.busy === true;
  useEffect(() => {
    const element = dialog.current;
    if (!busy && element !== null && !element.contains(document.activeElement)) latest.current.initialFocus?.current?.focus();
  }, [busy]);

  return (
    <dialog
      ref={dialog}
      class={props.class}
      aria-labelledby={props.labelledBy}
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) props.onCancel();
      }}
      onClose={() => {
        // The browser may close a modal dialog on its own (a repeated Escape is not always
        // cancelable): the owner must learn that it is gone.
        if (!closing.current) props.onCancel();
      }}
    >
      {props.children}
    </dialog>
  );
}
