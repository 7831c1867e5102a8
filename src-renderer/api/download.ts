// Downloads from the read-only HTTP API (CSV exports) with this tab's access token. Only a browser session
// has one; the desktop window talks over its MessagePort and has no HTTP API to ask.
const TOKEN_KEY = 'na64rc.token';

export function httpToken(): string | null {
  return typeof sessionStorage === 'undefined' ? null : sessionStorage.getItem(TOKEN_KEY);
}

/** Any file of the HTTP API (CSV, Parquet, zip) saved under `filename`. */
export async function downloadFile(path: string, filename: string): Promise<void> {
  return downloadCsv(path, filename);
}

export async function downloadCsv(path: string, filename: string): Promise<void> {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${httpToken()}` } });
  if (!res.ok) throw new Error(`export failed: HTTP ${res.status}`);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  URL.revokeObjectURL(url);
}
