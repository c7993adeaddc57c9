import { useState, type FormEvent } from 'react';

interface UserEmailEditorProps {
  username: string;
  email: string;
  pending: boolean;
  onSave: (email: string) => void;
  onCancel: () => void;
}

/** The e-mail cell while it is being edited: an input with save and cancel. */
export function UserEmailEditor({ username, email, pending, onSave, onCancel }: UserEmailEditorProps) {
  const [value, setValue] = useState(email);
  const next = value.trim();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending || !next) return;
    // Nothing changed: nothing to send.
    if (next === email) return onCancel();
    onSave(next);
  }

  return (
    <form
      className="inline-edit"
      onSubmit={submit}
      noValidate
      data-testid="email-form"
      onKeyDown={(event) => {
        if (event.key === 'Escape' && !pending) onCancel();
      }}
    >
      <input
        type="email"
        className="inline-input"
        autoComplete="off"
        autoFocus
        value={value}
        onChange={(e) => setValue(e.target.value)}
        disabled={pending}
        aria-label={`New e-mail address of ${username}`}
        data-testid="email-input"
      />
      <button type="submit" className="button primary small" disabled={pending || !next} aria-busy={pending} data-testid="email-save">
        {pending ? 'Saving…' : 'Save'}
      </button>
      <button type="button" className="button ghost small" onClick={onCancel} disabled={pending} data-testid="email-cancel">
        Cancel
      </button>
    </form>
  );
}
