/**
 * What a listener asks before it reads a byte: may this peer reach me? The
 * host answers with the firewall; the listener only enforces. Kept as a
 * function so listeners do not depend on the firewall engine.
 */
export interface AdmissionRequest {
  protocol: 'tcp' | 'udp';
  source: string;
  listener: string;
  localAddress: string;
  port: number;
}

export type Admission = (request: AdmissionRequest) => boolean;

export const admitAll: Admission = () => true;
