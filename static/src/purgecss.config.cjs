// PurgeCSS (MIT) drops the GOV.UK Frontend selectors no template uses (the components'
// variants: small and inline radios, input prefixes and widths, start and inverse buttons,
// tag colours …), about a quarter of site.css. It reads every template and site.js for
// the class names they contain, so a template that starts using another GOV.UK class gets
// it at the next build (static/src/build.sh).
module.exports = {
  content: ["../../templates/**/*.html", "../js/*.js"],
  safelist: {
    // _forms.html writes these as "{{ base }}__item" etc., so they are not found as words.
    standard: [/^govuk-(radios|checkboxes)(__(item|input|label|hint))?$/, "b"],
  },
};
