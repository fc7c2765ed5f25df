/** The file name of a `Content-Disposition` header (RFC 6266: `filename*` first). */
export function fileName(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (star?.[1]) return decodeURIComponent(star[1]);
  const plain = /filename="([^"]*)"/i.exec(disposition);
  return plain?.[1] || fallback;
}
