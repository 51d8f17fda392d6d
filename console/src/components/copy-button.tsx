import { useEffect, useRef, useState } from 'preact/hooks';

/** Copies text to the clipboard. The Clipboard API needs a secure context: over plain http this falls back to execCommand. */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard !== undefined && window.isSecureContext) return navigator.clipboard.writeText(text);
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  const done = document.execCommand('copy');
  area.remove();
  if (!done) throw new Error('copy refused');
}

export interface CopyButtonProps {
  text: string;
  /** The button's text; `Copy` unless given. */
  label?: string;
  /** An accessible name that says more than the text (`Copy invocation ID` for a `Copy` button). */
  ariaLabel?: string;
  describedBy?: string;
  /** Button classes besides `button`; `button-small` unless given. */
  class?: string;
  /** Called when the browser refuses (the owner can select the text for Ctrl+C instead). */
  onFailed?: () => void;
}

/** A button that copies `text` and says how that went for two seconds. */
export function CopyButton(props: CopyButtonProps) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
      clearTimeout(timer.current);
    },
    [],
  );
  const show = (outcome: 'yes' | 'failed') => {
    if (!mounted.current) return;
    setCopied(outcome);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setCopied(null), 2000);
  };
  const copy = () => {
    copyText(props.text).then(
      () => show('yes'),
      () => {
        show('failed');
        props.onFailed?.();
      },
    );
  };
  return (
    <button type="button" class={`button ${props.class ?? 'button-small'}`} onClick={copy} aria-label={props.ariaLabel} aria-describedby={props.describedBy}>
      {copied === 'yes' ? 'Copied ✓' : copied === 'failed' ? 'Copy failed' : (props.label ?? 'Copy')}
    </button>
  );
}
