/**
 * Lists the files under a FileSource's paths (Flink's
 * NonSplittingRecursiveEnumerator with its default filter): a path that is a
 * file is taken as it is; a directory is walked recursively, skipping
 * entries whose names start with '.' or '_' (hidden files, and the
 * in-progress files of sinks such as FileSink); symbolic links to files
 * are followed, links to directories are not. Asynchronous, so listing a
 * large directory never blocks the event loop. Files are returned sorted by
 * path, with their size in bytes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileReadError } from '../errors';

export interface DiscoveredFile {
  readonly path: string;
  /** Bytes at the time of listing. */
  readonly size: number;
}

/** Hidden by Flink's default file filter. */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

/**
 * @throws FileReadError when a given path does not exist or cannot be listed
 * (a file that vanishes between listing and stat is left out: it is gone)
 */
export async function enumerateFiles(roots: readonly string[]): Promise<DiscoveredFile[]> {
  const found: DiscoveredFile[] = [];
  for (const root of roots) {
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(root);
    } catch (e) {
      throw new FileReadError(root, e);
    }
    if (st.isDirectory()) await walk(root, found);
    else if (st.isFile()) found.push({ path: root, size: st.size });
    else throw new FileReadError(root, new Error('neither a file nor a directory'));
  }
  found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return found.filter((f, i) => i === 0 || found[i - 1].path !== f.path);
}

async function walk(dir: string, found: DiscoveredFile[]): Promise<void> {
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new FileReadError(dir, e);
  }
  for (const entry of entries) {
    if (isHiddenName(entry.name)) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      await walk(p, found);
      continue;
    }
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(p); // follows symbolic links
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new FileReadError(p, e);
    }
    if (st.isFile()) found.push({ path: p, size: st.size }); // links to directories are not followed (no cycles)
  }
}
