import { describeConformance } from './conformance/conformance.ts';
import { hubspotOAuthTarget, hubspotPrivateAppTarget } from './targets/hubspot.ts';

describeConformance(hubspotPrivateAppTarget, 'hubspot (private app)');
describeConformance(hubspotOAuthTarget, 'hubspot (OAuth)');
