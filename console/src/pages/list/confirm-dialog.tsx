import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export interface ConfirmDialogProps {
  open: boolean;
  title: string;
  children: ComponentChildren;
  /** The confirming button's text (its accessible name). */
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * A modal `<dialog>` that asks before a destructive action. Escape and "Cancel" close it; the
 * cancel button has the focus first so that Enter never destroys anything by accident.
 */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (props.open && !dialog.open) {
      dialog.showModal();
      cancelRef.current?.focus();
    } else if (!props.open && dialog.open) {
      dialog.close();
    }
  }, [props.open]);

  return (
    <dialog
      ref={ref}
      class="confirm-dialog"
      aria-labelledby="confirm-dialog-title"
      onCancel={(event) => {
        event.preventDefault();
        if (props.busy !== true) props.onCancel();
      }}
    >
      <h2 id="confirm-dialog-title">{props.title}</h2>
      <div class="confirm-dialog-body">{props.children}</div>
      <div class="dialog-actions">
        <button ref={cancelRef} type="button" class="button" onClick={props.onCancel} disabled={props.busy === true}>
          Cancel
        </button>
        <button
          type="button"
          class={`button ${props.danger === true ? 'button-danger-solid' : 'button-primary'}`}
          onClick={props.onConfirm}
          disabled={props.busy === true}
          aria-busy={props.busy === true}
        >
          {props.busy === true && <span class="spinner-dot" aria-hidden="true" />}
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
