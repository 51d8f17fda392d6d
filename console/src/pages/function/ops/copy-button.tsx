import { useEffect, useRef, useState } from 'preact/hooks';

/** The Clipboard API needs a secure context; a console served over plain http falls back to execCommand. */
async function copyText(text: string): Promise<void> {
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

/** A small button that copies `text` and says so for two seconds. */
export function CopyButton(props: { text: string; label?: string; describedBy?: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(timer.current), []);
  const copy = () => {
    copyText(props.text).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setCopied(null), 2000);
  };
  return (
    <button type="button" class="button button-small" onClick={copy} aria-describedby={props.describedBy}>
      {copied === 'yes' ? 'Copied ✓' : copied === 'failed' ? 'Copy failed' : (props.label ?? 'Copy')}
    </button>
  );
}
