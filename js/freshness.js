// How long the guard trusts what it read from the database (settings, schema facts) before reading again.
// Changes made on this instance invalidate at once through Directus events; the age bound covers changes
// made by another instance or by hand.

const MAX_AGE_MS = 2000;

export function createFreshness() {
	let stampedAt = 0;
	return {
		isFresh: () => stampedAt !== 0 && Date.now() - stampedAt <= MAX_AGE_MS,
		markFresh: () => {
			stampedAt = Date.now();
		},
		invalidate: () => {
			stampedAt = 0;
		},
	};
}
