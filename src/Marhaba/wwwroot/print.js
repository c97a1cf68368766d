// The report's print button (a script file: the pages allow no inline script).
document.querySelector('[data-print]')?.addEventListener('click', () => window.print());
