import { useRef, useState, type FormEvent } from "react";
import { flushSync } from "react-dom";
import { useMutation } from "urql";
import { errorMessage } from "../lib/errors";
import { BIO_MAX, DISPLAY_NAME_MAX, validateProfile } from "../lib/profile";
import { UpdateProfileMutation } from "../operations";
import { Dialog } from "./ui";

/** "Edit profile" on one's own profile: display name and bio in a dialog; the cache updates the page. */
export function EditProfile({ displayName, bio }: { displayName: string; bio: string | null }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(displayName);
  const [text, setText] = useState(bio ?? "");
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [res, update] = useMutation(UpdateProfileMutation);
  const opener = useRef<HTMLButtonElement>(null);
  const start = () => {
    setName(displayName);
    setText(bio ?? "");
    setError(null);
    setSaved(false);
    setOpen(true);
  };
  const close = () => {
    flushSync(() => setOpen(false));
    opener.current?.focus();
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const invalid = validateProfile(name, text);
    if (invalid) return setError(invalid);
    const r = await update({ displayName: name.trim(), bio: text.trim() });
    if (r.error || !r.data) return setError(errorMessage(r.error) ?? "Couldn't save your profile.");
    setSaved(true);
    close();
  };
  return (
    <>
      <button ref={opener} type="button" className="secondary" onClick={start}>Edit profile</button>
      <span className="sr-only" role="status">{saved ? "Profile saved." : ""}</span>
      <Dialog open={open} onClose={close} labelledBy="edit-profile-title" className="edit-profile" testId="edit-profile">
        <form onSubmit={submit} noValidate>
          <h2 id="edit-profile-title">Edit profile</h2>
          <label htmlFor="edit-display-name">Display name</label>
          <input id="edit-display-name" data-autofocus value={name} maxLength={DISPLAY_NAME_MAX} required
            autoComplete="name" onChange={(e) => setName(e.target.value)} aria-invalid={Boolean(error) || undefined} />
          <label htmlFor="edit-bio">Bio</label>
          <textarea id="edit-bio" className="field-area" value={text} rows={3} maxLength={BIO_MAX}
            aria-describedby="edit-bio-count" onChange={(e) => setText(e.target.value)} />
          <div className="field-foot muted" id="edit-bio-count">{[...text.trim()].length} / {BIO_MAX}</div>
          {error && <p role="alert" className="error" data-testid="edit-profile-error">{error}</p>}
          <div className="actions">
            <button type="button" className="secondary" onClick={close}>Cancel</button>
            <button type="submit" className="primary" disabled={res.fetching}>{res.fetching ? "Saving…" : "Save"}</button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
