// Package rollback is the run ledger of a PbN → HighLevel migration and its
// Undo. (Full documentation below is completed with the package.)
package rollback
