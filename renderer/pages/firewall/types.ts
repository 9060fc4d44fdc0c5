import type { Contract } from '../../../shared/contract/index.ts';
import type { ContractProxy } from '../../../shared/rpc/index.ts';

export type FirewallApi = ContractProxy<Contract>['firewall'];
