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

/**
 * Keeps what `load(freshness)` reads from the database in the core, fresh: one read in flight at a time,
 * which every call that needs it meanwhile waits for. `load` marks the start of its read, reads again when a
 * change overtook it (`isCurrent`), and marks what it put in place fresh. `what` names it in the log.
 */
export function createReloader(load, what, logger) {
	const freshness = createFreshness();
	let loading = null;
	function reload() {
		if (!loading) {
			const current = load(freshness).finally(() => {
				if (loading === current) loading = null;
			});
			loading = current;
		}
		return loading;
	}
	return {
		/** Makes sure the core judges with what is not old. */
		async refresh() {
			if (!freshness.isFresh()) await reload();
		},
		/**
		 * When it will soon be too old, a function that reads it again, for calling once an answer has left:
		 * on SQLite a read holds Directus's only connection, which the call would wait for.
		 */
		refreshAhead() {
			if (!freshness.isDue()) return null;
			return () => {
				if (!freshness.isDue()) return;
				reload().catch((error) => logger.error(`[mcp-guard] could not read ${what} ahead of time: ${error?.message}`));
			};
		},
		/** After a change on this instance, so that it applies to the very next call. */
		invalidate() {
			// A read in flight may have begun before the change: the next call starts its own.
			loading = null;
			freshness.invalidate();
		},
	};
}
