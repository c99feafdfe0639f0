/** The contract's limits for updateProfile: displayName 1..50, bio 0..160 characters. */
export const DISPLAY_NAME_MAX = 50;
export const BIO_MAX = 160;

export function validateProfile(displayName: string, bio: string): string | null {
  const name = [...displayName.trim()].length;
  if (name === 0) return "Enter a display name.";
  if (name > DISPLAY_NAME_MAX) return `A display name can be at most ${DISPLAY_NAME_MAX} characters.`;
  if ([...bio.trim()].length > BIO_MAX) return `A bio can be at most ${BIO_MAX} characters.`;
  return null;
}
