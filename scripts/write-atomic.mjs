/* global process */
// One file written whole or not at all, for the build scripts (they run before dist/ exists, so they cannot use
// src/io's atomic writer): through a temporary file and a rename, so that a server never reads half a file.
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

export async function writeAtomic(path, bytes) {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
