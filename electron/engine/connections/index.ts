export { admitAll, type Admission, type AdmissionRequest } from './admission.ts';
export { ConnectionTracker, SAMPLE_INTERVAL_MS, type ConnectionChanges, type ConnectionTotals, type TrackOptions, type TrackableSocket } from './tracker.ts';
export { TcpEchoListener, type EchoListenerOptions } from './echo-listener.ts';
export { UdpEchoListener } from './udp-echo-listener.ts';
export { ID_ROUNDS, SlotList, SlotTable, slotOf, SLOTS, type Slotted } from './slots.ts';
