// Preparing a photo on the phone: shrink it, re-encode it (which drops the
// camera's metadata, GPS included) and name it by its SHA-256.
export const MAX_EDGE = 2048;
export const MAX_PHOTOS = 5;
const QUALITY = 0.82;

export async function preparePhoto(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_EDGE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));

  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const blob = await new Promise((resolve, reject) => {
    canvas.toBlob((made) => (made ? resolve(made) : reject(new Error("encode"))),
      "image/jpeg", QUALITY);
  });

  const sha256 = await hashOf(blob);
  return { sha256, blob, type: "image/jpeg", width, height, size: blob.size };
}

export async function hashOf(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
