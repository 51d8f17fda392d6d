import type { ComponentChildren } from 'preact';
import { useId, useRef } from 'preact/hooks';
import { Dialog } from './dialog.js';

export interface ConfirmDialogProps {
  title: string;
  children?: ComponentChildren;
  /** The confirming button's text (its accessible name). */
  confirmLabel: string;
  /** Something that cannot be taken back: a red button, and Cancel has the focus first. */
  danger?: boolean;
  /** The confirmed action is running: both buttons wait and Escape does nothing. */
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * Asks before an action, open for as long as it is rendered. Escape and Cancel close it. The
 * confirming button has the focus, except before a dangerous action, where Cancel has it so
 * that Enter never destroys anything by accident.
 */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const titleId = useId();
  const cancel = useRef<HTMLButtonElement>(null);
  const confirm = useRef<HTMLButtonElement>(null);
  const danger = props.danger === true;
  const busy = props.busy === true;
  return (
    <Dialog class="confirm-dialog" labelledBy={titleId} busy={busy} onCancel={props.onCancel} initialFocus={danger ? cancel : confirm}>
      <h2 id={titleId}>{props.title}</h2>
      {props.children !== undefined && <div class="confirm-dialog-body">{props.children}</div>}
      <div class="dialog-actions">
        <button ref={cancel} type="button" class="button" onClick={props.onCancel} disabled={busy}>
          Cancel
        </button>
        <button ref={confirm} type="button" class={`button ${danger ? 'button-danger-solid' : 'button-primary'}`} onClick={props.onConfirm} disabled={busy} aria-busy={busy}>
          {busy && <span class="spinner-dot" aria-hidden="true" />}
          {props.confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
