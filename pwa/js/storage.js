// Asking the browser not to clear our data when space runs low.
export async function askToPersist() {
  if (!navigator.storage?.persist) return false;
  const granted = (await navigator.storage.persisted()) || (await navigator.storage.persist());
  showStorageWarning(!granted);
  return granted;
}

export async function isPersisted() {
  return navigator.storage?.persisted ? navigator.storage.persisted() : false;
}

export function showStorageWarning(show) {
  const banner = document.getElementById("storage-banner");
  if (banner) banner.hidden = !show;
}
