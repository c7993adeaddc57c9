/** The analytics product (the admin panel). */
export const PRODUCT_NAME = 'Pulse Analytics';

/** The fictional product whose public page (`/`) is tracked. */
export const DEMO_PRODUCT_NAME = 'Orbit';

/**
 * The tracked site of the public dashboard. `VITE_TRACKER_SITE` at build time overrides it; the admin panel
 * never tracks itself into any site.
 */
export const DEMO_SITE: string = import.meta.env.VITE_TRACKER_SITE || 'demo';
