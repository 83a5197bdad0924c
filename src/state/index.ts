/** The controller's state DB: cursors, run history, conditions, mirror bookkeeping. */
export * from './state-db.js';
