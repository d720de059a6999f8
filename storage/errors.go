package storage

import "errors"

// Errors returned by the store. Wrapped errors carry context; compare with
// errors.Is.
var (
	// ErrNotFound means the record does not exist, was erased or expired.
	ErrNotFound = errors.New("storage: not found")
	// ErrCorrupt means a stored value could not be decoded.
	ErrCorrupt = errors.New("storage: stored record is corrupt")
	// ErrInvalidID means an ID string is not in the form ID.String returns.
	ErrInvalidID = errors.New("storage: invalid id")
	// ErrInvalidKey means a business unit id or other key part is empty or
	// holds a 0x00 byte.
	ErrInvalidKey = errors.New("storage: invalid key")
	// ErrLocked means another process holds the database file.
	ErrLocked = errors.New("storage: database file is locked by another process")
	// ErrClosed means the store was closed.
	ErrClosed = errors.New("storage: store is closed")
)
