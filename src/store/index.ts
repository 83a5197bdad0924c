/** The store's public face: the Store contract and its backends. */
export * from './store.js';
