package org.dyve.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.runtime.Dyve;
import org.dyve.runtime.DyveSettings;
import org.dyve.runtime.StreamDescription;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless browser (Debian's chromium through chromedriver) against a running server with a
 * synthetic stream: the token opens it once through {@code /?token=}, and the page shows the stream's frame count
 * rising. Skipped where chromium and chromedriver are not installed ({@code .ci/run} installs them).
 */
class DashboardBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    @Test
    void theDashboardShowsAStreamsFrameCountRising() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
                "chromium and chromedriver not installed");
        DyveSettings s = DyveSettings.from(ConfigFactory.load()).withModelHome(Files.createTempDirectory("dyve-ui"));
        try (Dyve dyve = Dyve.open(s); DyveServer server = DyveServer.start(dyve, ServeSettings.from(s.config())
                .withAddress("127.0.0.1", 0).withToken("ui-token"), "test")) {
            String id = dyve.streams().start(StreamDescription.of(ModelCatalog.DEFAULT_MODEL, "synthetic:28x28@20"),
                    r -> { }).id();
            String base = "http://127.0.0.1:" + server.address().getPort();
            ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                    .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=420,900");
            ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                    .usingAnyFreePort().build();
            WebDriver browser = new ChromeDriver(service, options);
            try {
                browser.get(base + "/");
                assertTrue(browser.getPageSource().contains("needs its token"), "without the token: the form");
                browser.get(base + "/?token=ui-token");
                WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
                By frames = By.cssSelector("section[data-stream='" + id + "'] dd.frames");
                long first = wait.until(b -> {
                    var found = b.findElements(frames);
                    return found.isEmpty() || found.get(0).getText().isEmpty() ? null
                            : Long.parseLong(found.get(0).getText());
                });
                long later = wait.until(b -> {
                    long n = Long.parseLong(b.findElement(frames).getText());
                    return n > first ? n : null;
                });
                assertTrue(later > first, "the frame count rises: " + first + " -> " + later);
                assertEquals("live", browser.findElement(By.id("state")).getText());
                Path shot = Path.of("target", "dashboard.png");
                Files.write(shot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
                assertTrue(Files.size(shot) > 1000);
            } finally {
                browser.quit();
            }
        }
    }

}
