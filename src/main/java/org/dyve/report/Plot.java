package org.dyve.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.dyve.DataException;

/** Small PNG charts drawn with Java2D (no plotting dependency). */
public final class Plot {
    private static final int W = 720;
    private static final int H = 460;
    private static final int LEFT = 80;
    private static final int RIGHT = 30;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;
    /** Colours of the ladder's series, in order. */
    private static final int[] SERIES = {0x1F77B4, 0xFF7F0E, 0x2CA02C, 0x9467BD};

    private Plot() {
    }

    /** One labelled point: MACs per image (millions) and top-1 (percent). */
    public record Point(String label, double macsM, double top1) {
    }

    /**
     * A rung's family: its label with the budget, a {@code -}-separated number, as {@code *} ({@code loss-0.5} ->
     * {@code loss-*}, {@code fast-1-bf16} -> {@code fast-*-bf16}); a label without one is its own family.
     */
    static String family(String label) {
        String[] parts = label.split("-", -1);
        for (int i = 1; i < parts.length; i++) {
            try {
                Double.parseDouble(parts[i]);
                parts[i] = "*";
                return String.join("-", parts);
            } catch (NumberFormatException e) {
                // not the budget: sparse-inputs, bf16
            }
        }
        return label;
    }

    /** Draws a point's label below right of it, or above, or to the left, where it overlaps no label drawn yet. */
    private static void drawLabel(Graphics2D g, String text, int x, int y, List<java.awt.Rectangle> drawn) {
        int w = g.getFontMetrics().stringWidth(text);
        int[][] at = {{x + 8, y + 16}, {x + 8, y - 8}, {x - 8 - w, y + 16}, {x - 8 - w, y - 8}};
        int[] pick = at[0];
        for (int[] a : at) {
            java.awt.Rectangle r = new java.awt.Rectangle(a[0], a[1] - 12, w, 14);
            if (drawn.stream().noneMatch(r::intersects)) {
                pick = a;
                break;
            }
        }
        drawn.add(new java.awt.Rectangle(pick[0], pick[1] - 12, w, 14));
        g.drawString(text, pick[0], pick[1]);
    }

    /**
     * Writes top-1 against MACs per image: the dense point (drawn as a square) and the effort ladder's points, one
     * series per family of rungs ({@link #family}, e.g. {@code fast} and {@code loss}), each
     * joined in order from the dense point in a colour of its own, with a legend when there are several.
     */
    public static void top1VsMacs(Path file, String title, Point dense, List<Point> ladder) {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        double x0 = 0;
        double x1 = dense.macsM();
        double y0 = dense.top1();
        double y1 = dense.top1();
        for (Point p : ladder) {
            x1 = Math.max(x1, p.macsM());
            y0 = Math.min(y0, p.top1());
            y1 = Math.max(y1, p.top1());
        }
        x1 *= 1.1;
        double pad = Math.max(0.5, (y1 - y0) * 0.15);
        y0 = Math.floor(y0 - pad);
        y1 = Math.ceil(y1 + pad);
        int pw = W - LEFT - RIGHT;
        int ph = H - TOP - BOTTOM;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i <= 5; i++) {
            int x = LEFT + pw * i / 5;
            int y = TOP + ph * i / 5;
            g.setColor(new Color(0xE5E5E5));
            g.drawLine(x, TOP, x, TOP + ph);
            g.drawLine(LEFT, y, LEFT + pw, y);
            g.setColor(Color.DARK_GRAY);
            String xl = String.format(Locale.ROOT, "%.1f", x0 + (x1 - x0) * i / 5);
            g.drawString(xl, x - g.getFontMetrics().stringWidth(xl) / 2, TOP + ph + 18);
            String yl = String.format(Locale.ROOT, "%.1f", y1 - (y1 - y0) * i / 5);
            g.drawString(yl, LEFT - 8 - g.getFontMetrics().stringWidth(yl), y + 4);
        }
        g.setColor(Color.BLACK);
        g.drawRect(LEFT, TOP, pw, ph);
        g.drawString("MACs per image (millions)", LEFT + pw / 2 - 70, H - 18);
        g.rotate(-Math.PI / 2);
        g.drawString("top-1 (%)", -(TOP + ph / 2) - 25, 25);
        g.rotate(Math.PI / 2);
        // a long title (a long model name) gets a smaller font rather than running off the image
        int size = 14;
        do {
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, size--));
        } while (size > 8 && LEFT + g.getFontMetrics().stringWidth(title) > W - 10);
        g.drawString(title, LEFT, TOP - 18);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int[] px = new int[ladder.size()];
        int[] py = new int[ladder.size()];
        for (int i = 0; i < ladder.size(); i++) {
            px[i] = LEFT + (int) Math.round((ladder.get(i).macsM() - x0) / (x1 - x0) * pw);
            py[i] = TOP + (int) Math.round((y1 - ladder.get(i).top1()) / (y1 - y0) * ph);
        }
        int dx = LEFT + (int) Math.round((dense.macsM() - x0) / (x1 - x0) * pw);
        int dy = TOP + (int) Math.round((y1 - dense.top1()) / (y1 - y0) * ph);
        java.util.Map<String, List<Integer>> families = new java.util.LinkedHashMap<>();
        for (int i = 0; i < ladder.size(); i++) {
            String l = ladder.get(i).label();
            families.computeIfAbsent(family(l), k -> new ArrayList<>()).add(i);
        }
        int[] colour = new int[ladder.size()];
        List<java.awt.Rectangle> drawn = new ArrayList<>();
        g.setStroke(new BasicStroke(2f));
        int f = 0;
        for (var family : families.entrySet()) {
            int rgb = SERIES[f % SERIES.length];
            int prevX = dx;
            int prevY = dy;
            g.setColor(new Color(rgb));
            for (int i : family.getValue()) {
                g.drawLine(prevX, prevY, px[i], py[i]);
                prevX = px[i];
                prevY = py[i];
                colour[i] = rgb;
            }
            if (families.size() > 1) {
                int ly = TOP + 18 + 18 * f;
                g.drawLine(LEFT + pw - 120, ly - 4, LEFT + pw - 100, ly - 4);
                g.drawString(family.getKey(), LEFT + pw - 94, ly);
            }
            f++;
        }
        for (int i = 0; i < px.length; i++) {
            g.setColor(new Color(colour[i]));
            g.fillOval(px[i] - 5, py[i] - 5, 10, 10);
            // rungs that landed on the same point share one label
            StringBuilder label = new StringBuilder(ladder.get(i).label());
            boolean first = true;
            for (int j = 0; j < px.length; j++) {
                if (px[j] == px[i] && py[j] == py[i]) {
                    first &= j >= i;
                    if (j > i) {
                        label.append(", ").append(ladder.get(j).label());
                    }
                }
            }
            if (first) {
                drawLabel(g, label.toString(), px[i], py[i], drawn);
            }
        }
        g.setColor(new Color(0xD62728));
        g.fillRect(dx - 6, dy - 6, 12, 12);
        g.drawString(dense.label(), dx - 40, dy - 10);
        drawn.add(new java.awt.Rectangle(dx - 40, dy - 22, g.getFontMetrics().stringWidth(dense.label()), 14));
        g.dispose();
        // our own stream: ImageIO.write(File) prints a stack trace when the file cannot be created
        try (java.io.OutputStream os = java.nio.file.Files.newOutputStream(file)) {
            ImageIO.write(img, "png", os);
        } catch (IOException e) {
            throw new DataException(file + ": cannot write the plot (" + e + ")");
        }
    }
}
