// Public API of melbook: what notebooks and other programs import. Grouped by concern; see README.
export * from './errors';
