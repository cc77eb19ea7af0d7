package org.dyve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The cores as a budget: shares follow the workers leased, leases return once. */
class CoreBudgetTest {
    @Test
    void sharesFollowTheWorkersLeasedAndLeasesReturnOnce() {
        CoreBudget b = new CoreBudget(8);
        assertEquals(8, b.share(), "nothing leased: every core");
        CoreBudget.Lease one = b.lease(2);
        assertEquals(4, one.share());
        CoreBudget.Lease two = b.lease(2);
        assertEquals(2, one.share(), "a second stream halves the first one's share, read at its next run");
        CoreBudget.Lease many = b.lease(12);
        assertEquals(1, two.share(), "never below one thread");
        many.close();
        many.close();
        assertEquals(4, b.workers(), "a lease closed twice returns its workers once");
        one.close();
        two.close();
        assertEquals(0, b.workers());
        assertThrows(IllegalArgumentException.class, () -> b.lease(0));
        assertThrows(IllegalArgumentException.class, () -> new CoreBudget(0));
    }
}
