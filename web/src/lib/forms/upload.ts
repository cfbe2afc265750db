// Uploads to the file store with progress (fetch cannot report upload progress; XHR can).
import { ApiError, getCsrfToken, parseProblem } from '../api';
import type { FileInfo } from './types';

export type Purpose = 'attachment' | 'image' | 'signature';

export interface UploadHandle {
  promise: Promise<FileInfo>;
  abort: () => void;
}

/** Uploads one file; `onProgress` gets 0..1 as the bytes go out. */
export function uploadFile(orgId: string, file: Blob, name: string, purpose: Purpose, onProgress?: (fraction: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<FileInfo>((resolve, reject) => {
    xhr.open('POST', `/api/v1/orgs/${encodeURIComponent(orgId)}/files`);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    const csrf = getCsrfToken();
    if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as FileInfo);
        } catch {
          reject(new ApiError({ status: xhr.status, title: 'Invalid response' }));
        }
      } else {
        reject(parseProblem(xhr.status, xhr.statusText, xhr.getResponseHeader('content-type'), xhr.responseText));
      }
    };
    xhr.onerror = () => reject(new ApiError({ status: 0, title: 'Network error' }));
    xhr.onabort = () => reject(new ApiError({ status: 0, title: 'Cancelled' }));
    const body = new FormData();
    body.append('purpose', purpose);
    body.append('file', file, name);
    xhr.send(body);
  });
  return { promise, abort: () => xhr.abort() };
}

export function fileContentUrl(orgId: string, fileId: string): string {
  return `/api/v1/orgs/${encodeURIComponent(orgId)}/files/${encodeURIComponent(fileId)}/content`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
