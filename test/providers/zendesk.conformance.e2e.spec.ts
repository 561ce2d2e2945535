import { describeConformance } from './conformance/conformance.ts';
import { zendeskConformanceTarget } from './targets/zendesk.ts';

describeConformance(zendeskConformanceTarget);
