import { describeConformance } from './conformance/conformance.ts';
import { salesforceConformanceTarget } from './targets/salesforce.ts';

describeConformance(salesforceConformanceTarget);
