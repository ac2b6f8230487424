// A small .tar.gz writer and reader (POSIX ustar, regular files only), so the mod-setup example
// needs nothing but Node: `tar -tzf` lists what `packFolder` makes, and `unpack` refuses any entry
// that would land outside its target folder or that is not a plain file or folder.
'use strict';

const { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } = require('node:fs');
const { dirname, join, resolve, sep } = require('node:path');
const { gunzipSync, gzipSync } = require('node:zlib');

const BLOCK = 512;

/** The regular files under `root`, as sorted `/`-separated relative paths; a link or device is an error. */
function filesUnder(root, prefix = '') {
  const out = [];
  for (const name of readdirSync(join(root, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const stat = lstatSync(join(root, rel));
    if (stat.isDirectory()) out.push(...filesUnder(root, rel));
    else if (stat.isFile()) out.push(rel);
    else throw new Error(`${join(root, rel)}: only plain files can go in a mod archive`);
  }
  return out;
}

/** `value` in octal, zero-padded to fill a `width`-byte header field with its NUL. */
function octal(value, width) {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** Sum of a header's bytes with its checksum field counted as spaces (how ustar defines it). */
function checksumOf(header) {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return sum;
}

/** The 512-byte ustar header of a regular file. Times and owners are zero, so the same files give the same archive. */
function fileHeader(name, size, mode) {
  if (Buffer.byteLength(name) > 100) throw new Error(`${name}: paths in a mod archive are at most 100 bytes`);
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(mode, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii'); // uid
  header.write(octal(0, 8), 116, 'ascii'); // gid
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(0, 12), 136, 'ascii'); // mtime
  header.write('0', 156, 'ascii'); // a regular file
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  header.write(`${checksumOf(header).toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

/**
 * The gzipped tar of every file under `sourceDir`, and the archived paths (relative to it). The
 * same files give the same bytes.
 */
function packFolder(sourceDir) {
  const files = filesUnder(sourceDir);
  const blocks = [];
  for (const rel of files) {
    const full = join(sourceDir, rel);
    const data = readFileSync(full);
    blocks.push(fileHeader(rel, data.length, lstatSync(full).mode & 0o777), data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(2 * BLOCK)); // the end-of-archive marker
  return { files, data: gzipSync(Buffer.concat(blocks)) };
}

/** A NUL-terminated header field as text. */
function field(header, start, length) {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

/**
 * Extracts the gzipped tar `archive` into `targetDir` (created if missing).
 * @returns the extracted file paths, relative to `targetDir`.
 * @throws Error for a corrupt archive, an entry that is not a plain file or folder, or a path outside `targetDir`.
 */
function unpack(archive, targetDir) {
  const tar = gunzipSync(readFileSync(archive));
  const root = resolve(targetDir);
  const files = [];
  mkdirSync(root, { recursive: true });
  for (let at = 0; at + BLOCK <= tar.length;) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break;
    if (parseInt(field(header, 148, 8), 8) !== checksumOf(header)) throw new Error(`${archive}: corrupt tar header`);
    const prefix = field(header, 345, 155);
    const name = prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100);
    const size = parseInt(field(header, 124, 12), 8);
    const type = String.fromCharCode(header[156]);
    const target = resolve(root, name);
    const isRoot = type === '5' && target === root; // `./`, as `tar -C DIR .` writes it
    if (!isRoot && !target.startsWith(root + sep))
      throw new Error(`${archive}: entry ${name} would land outside ${root}`);
    at += BLOCK;
    if (type === '5') mkdirSync(target, { recursive: true });
    else if (type === '0' || type === '\0') {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, tar.subarray(at, at + size), { mode: parseInt(field(header, 100, 8), 8) & 0o777 });
      files.push(name.replace(/^(\.\/)+/, ''));
    } else throw new Error(`${archive}: entry ${name} is neither a file nor a folder (type ${JSON.stringify(type)})`);
    at += Math.ceil(size / BLOCK) * BLOCK;
  }
  return files.sort();
}

module.exports = { packFolder, unpack };
