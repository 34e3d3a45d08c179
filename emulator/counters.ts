/*
 * Everything the emulator counts: traffic, and every input it refused or dropped (nothing is lost
 * without a number going up). Exposed by the REST API, the dashboard and the fleet bench.
 */
export function newCounters() {
	return {
		connectionsOpened: 0,
		connectionsClosed: 0,
		upgradesRejected: 0,
		framesIn: 0,
		framesOut: 0,
		chunksIn: 0,
		multipartReassembled: 0,
		multipartSent: 0,
		requestsFromEdge: 0,
		requestsToEdge: 0,
		pushes: 0,
		rowsStored: 0,
		eventsRecorded: 0,
		pings: 0,
		keepAlives: 0,
		// refused or dropped
		authFailures: 0,
		authTimeouts: 0,
		beforeAuth: 0,
		textFrames: 0,
		oversizeFrames: 0,
		unreadableHeaders: 0,
		unknownCodes: 0,
		malformedMessages: 0,
		malformedResponses: 0,
		splitBugTails: 0,
		badParams: 0,
		bindRejected: 0,
		rowsUnbound: 0,
		unmatchedResponses: 0,
		requestTimeouts: 0,
		trailingBytesTolerated: 0,
		sessionMismatches: 0,
		idleCloses: 0,
		ignoredAfterClose: 0,
		sendsDropped: 0,
		socketErrors: 0,
		internalErrors: 0,
		multipartDroppedStale: 0,
		multipartDroppedOversize: 0,
		multipartDroppedInvalid: 0,
		multipartDroppedDuplicate: 0,
		/** Multipart sets refused because the connection's Reassembler held its maximum of sets or bytes. */
		multipartDroppedBusy: 0,
		/** Platform -> edge requests refused because maxPendingRequests already waited on that connection. */
		requestsRefusedBusy: 0,
		/** Connections closed because over maxBufferedBytes waited for the edge to read. */
		outboxOverflows: 0,
		/** Messages a wedged connection ignored or did not send (faults.ts). */
		wedgedDrops: 0,
		/** Things unrouted from their connection by an administrative unbind (faults.ts). */
		adminUnbinds: 0,
	};
}

export type Counters = ReturnType<typeof newCounters>;
