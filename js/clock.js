// The caller's wall-clock time in the working hours' time zone. The core has no clock and no time zone data,
// so the JS side reads the time and converts it with Intl.
//
// MCP_GUARD_NOW (an ISO timestamp) fixes the clock, for tests and for trying out working hours: never fake
// time by sleeping.

const WEEKDAYS = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

export function createClock(env) {
	const fixed = env.MCP_GUARD_NOW ? Date.parse(env.MCP_GUARD_NOW) : null;
	if (Number.isNaN(fixed)) throw new Error(`MCP_GUARD_NOW is not a date: ${env.MCP_GUARD_NOW}`);
	const formats = new Map();

	function formatFor(timeZone) {
		let format = formats.get(timeZone);
		if (!format) {
			format = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
			formats.set(timeZone, format);
		}
		return format;
	}

	return {
		now: () => (fixed === null ? Date.now() : fixed),
		/** `{weekday, minute}` in `timeZone` (0 = Monday), or null when the zone cannot be converted to. */
		localTime(timeZone, at = this.now()) {
			try {
				const parts = Object.fromEntries(formatFor(timeZone).formatToParts(at).map((p) => [p.type, p.value]));
				return { weekday: WEEKDAYS[parts.weekday], minute: Number(parts.hour) * 60 + Number(parts.minute) };
			} catch {
				return null;
			}
		},
	};
}
