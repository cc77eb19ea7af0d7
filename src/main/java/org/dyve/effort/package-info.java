/**
 * Dynamic effort (DyVEDeep): what can be skipped for an input and at what cost. So far the measurement that
 * the knobs are designed from: {@link org.dyve.effort.ActivationStats}.
 */
package org.dyve.effort;
