/** Zip archives and multipart bodies of GTFS feeds for upload tests, made with yazl. */
import yazl from 'yazl'

export async function zipFeed(files: Readonly<Record<string, string | Buffer>>): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  for (const [name, data] of Object.entries(files)) zip.addBuffer(Buffer.isBuffer(data) ? data : Buffer.from(data), name)
  zip.end()
  const chunks: Buffer[] = []
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Renames entries in place (local and central headers): names yazl itself refuses to write, such as `../x.txt`. */
export function renameEntries(archive: Buffer, from: string, to: string): Buffer {
  if (Buffer.byteLength(from) !== Buffer.byteLength(to)) throw new Error('a rename in place keeps the length')
  const out = Buffer.from(archive)
  const needle = Buffer.from(from)
  for (let at = out.indexOf(needle); at >= 0; at = out.indexOf(needle, at + 1)) Buffer.from(to).copy(out, at)
  return out
}

/** Makes every entry of the central directory declare `size` uncompressed bytes: an archive that lies. */
export function declareUncompressedSize(archive: Buffer, size: number): Buffer {
  const out = Buffer.from(archive)
  for (let at = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); at >= 0; at = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 1))
    out.writeUInt32LE(size, at + 24)
  return out
}

export function multipartBody(files: Readonly<Record<string, string>>, fields: Readonly<Record<string, string>> = {}): { body: Buffer; contentType: string } {
  const boundary = '----fare-feed-boundary'
  const parts: string[] = []
  for (const [name, value] of Object.entries(fields)) parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
  for (const [name, text] of Object.entries(files))
    parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/plain\r\n\r\n${text}\r\n`)
  parts.push(`--${boundary}--\r\n`)
  return { body: Buffer.from(parts.join('')), contentType: `multipart/form-data; boundary=${boundary}` }
}
