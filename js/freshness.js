// How long the guard trusts what it read from the database (settings, schema facts) before reading again.
// Changes made on this instance invalidate at once through Directus events; the age bound covers changes
// made by another instance or by hand.
//
// What is read must never be older than MAX_AGE_MS when a call is judged. A call that finds it too old
// waits for the read (on SQLite, two queries on Directus's only connection), so it is read again ahead of
// time, once it is REFRESH_AHEAD_MS old, after an answer has left: under steady traffic no call waits.

const MAX_AGE_MS = 2000;
const REFRESH_AHEAD_MS = 1500;

export function createFreshness() {
	let readAt = 0;
	// Bumped by every invalidation: a read that began before one must not count as fresh.
	let generation = 0;
	return {
		isFresh: () => readAt !== 0 && Date.now() - readAt <= MAX_AGE_MS,
		/** Fresh, but old enough to read again ahead of time. */
		isDue: () => Date.now() - readAt > REFRESH_AHEAD_MS,
		/** Marks the start of a read; `markFresh(read)` once what it found is in place. */
		beginRead: () => ({ at: Date.now(), generation }),
		/** Whether nothing was invalidated since `read` began: what it found may be put in place. */
		isCurrent: (read) => read.generation === generation,
		/** What a read found counts from when the read began, unless something was invalidated since. */
		markFresh: (read) => {
			if (read.generation === generation) readAt = read.at;
		},
		invalidate: () => {
			generation += 1;
			readAt = 0;
		},
	};
}
