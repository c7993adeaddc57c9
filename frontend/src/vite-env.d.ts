/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The tracker's `site` for the dashboard's own events (default "default"). */
  readonly VITE_TRACKER_SITE?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
