package org.dyve.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.dyve.DataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotTest {
    @TempDir
    Path dir;

    @Test
    void drawsTheDensePointAndTheLadderAsAReadablePng() throws Exception {
        Path file = dir.resolve("ladder.png");
        Plot.top1VsMacs(file, "t", new Plot.Point("dense", 10, 80),
                List.of(new Plot.Point("loss-1", 8, 79.5), new Plot.Point("loss-2", 8, 79.5),
                        new Plot.Point("loss-3", 5, 77)));
        BufferedImage img = ImageIO.read(file.toFile());
        assertEquals(720, img.getWidth());
        assertEquals(460, img.getHeight());
        // x axis 0 .. 11 over 610 px from 80; y axis 76 .. 81 over 350 px from 50: dense (10, 80) at (634, 120)
        int rgb = img.getRGB(634, 120) & 0xFFFFFF;
        assertEquals(0xD62728, rgb, "the dense point is the red square");
        int c = img.getRGB(80 + (int) Math.round(5 / 11.0 * 610), 50 + (int) Math.round((81 - 77) / 5.0 * 350))
                & 0xFFFFFF;
        assertEquals(0x1F77B4, c, "rung loss-3 is a blue dot");
        assertTrue(img.getRGB(5, 5) == 0xFFFFFFFF, "white background");
    }

    @Test
    void eachFamilyOfRungsIsASeriesOfItsOwnColour() throws Exception {
        Path file = dir.resolve("families.png");
        Plot.top1VsMacs(file, "t", new Plot.Point("dense", 10, 80),
                List.of(new Plot.Point("fast-1", 8, 79.5), new Plot.Point("loss-1", 5, 77)));
        BufferedImage img = ImageIO.read(file.toFile());
        // same axes as above: fast-1 at (524, 155), loss-1 at (357, 330)
        assertEquals(0x1F77B4, img.getRGB(80 + (int) Math.round(8 / 11.0 * 610), 50 + (int) Math.round(1.5 / 5 * 350))
                & 0xFFFFFF, "fast-1 is in the first series' blue");
        assertEquals(0xFF7F0E, img.getRGB(80 + (int) Math.round(5 / 11.0 * 610), 50 + (int) Math.round(4 / 5.0 * 350))
                & 0xFFFFFF, "loss-1 is in the second series' orange");
    }

    @Test
    void aRungsFamilyIsItsNameWithTheBudgetAsAStar() {
        assertEquals("loss-*", Plot.family("loss-0.5"));
        assertEquals("fast-*", Plot.family("fast-2"));
        assertEquals("fast-*-bf16", Plot.family("fast-0.25-bf16"));
        assertEquals("bf16", Plot.family("bf16"));
        assertEquals("sparse-inputs", Plot.family("sparse-inputs"), "no budget: a family of its own");
        assertEquals("sparse", Plot.family("sparse"));
    }

    @Test
    void anUnwritablePathIsAOneLineError() {
        Path file = dir.resolve("missing-dir").resolve("x.png");
        DataException e = assertThrows(DataException.class, () -> Plot.top1VsMacs(file, "t",
                new Plot.Point("dense", 1, 1), List.of()));
        assertTrue(e.getMessage().startsWith(file + ": cannot write the plot"), e.getMessage());
    }
}
