package webm

import "time"

// The Matroska elements this package writes besides the blocks, as
// ebml-go marshals them.

type info struct {
	TimecodeScale uint64    `ebml:"TimecodeScale"`
	MuxingApp     string    `ebml:"MuxingApp"`
	WritingApp    string    `ebml:"WritingApp"`
	Title         string    `ebml:"Title,omitempty"`
	Duration      float64   `ebml:"Duration"`
	DateUTC       time.Time `ebml:"DateUTC,omitempty"`
}

type tracks struct {
	TrackEntry []trackEntry `ebml:"TrackEntry"`
}

type trackEntry struct {
	Name         string `ebml:"Name,omitempty"`
	TrackNumber  uint64 `ebml:"TrackNumber"`
	TrackUID     uint64 `ebml:"TrackUID"`
	CodecID      string `ebml:"CodecID"`
	CodecPrivate []byte `ebml:"CodecPrivate,omitempty"`
	CodecDelay   uint64 `ebml:"CodecDelay,omitempty"`
	SeekPreRoll  uint64 `ebml:"SeekPreRoll,omitempty"`
	TrackType    uint64 `ebml:"TrackType"`
	Language     string `ebml:"Language,omitempty"`
	Audio        *audio `ebml:"Audio,omitempty"`
	Video        *video `ebml:"Video,omitempty"`
}

type audio struct {
	SamplingFrequency float64 `ebml:"SamplingFrequency"`
	Channels          uint64  `ebml:"Channels"`
}

type video struct {
	PixelWidth  uint64 `ebml:"PixelWidth"`
	PixelHeight uint64 `ebml:"PixelHeight"`
}

type chapters struct {
	EditionEntry []edition `ebml:"EditionEntry"`
}

type edition struct {
	ChapterAtom []chapterAtom `ebml:"ChapterAtom"`
}

type chapterAtom struct {
	ChapterUID       uint64           `ebml:"ChapterUID"`
	ChapterTimeStart uint64           `ebml:"ChapterTimeStart"`
	ChapterTimeEnd   uint64           `ebml:"ChapterTimeEnd,omitempty"`
	ChapterDisplay   []chapterDisplay `ebml:"ChapterDisplay"`
}

type chapterDisplay struct {
	ChapString   string `ebml:"ChapString"`
	ChapLanguage string `ebml:"ChapLanguage"`
}

type tags struct {
	Tag []tag `ebml:"Tag"`
}

type tag struct {
	Targets   targets     `ebml:"Targets"`
	SimpleTag []simpleTag `ebml:"SimpleTag"`
}

type targets struct {
	TargetTypeValue uint64 `ebml:"TargetTypeValue"`
}

type simpleTag struct {
	TagName   string `ebml:"TagName"`
	TagString string `ebml:"TagString"`
}

type attachments struct {
	AttachedFile []attachedFile `ebml:"AttachedFile"`
}

type attachedFile struct {
	FileDescription string `ebml:"FileDescription"`
	FileName        string `ebml:"FileName"`
	FileMimeType    string `ebml:"FileMimeType"`
	FileData        []byte `ebml:"FileData"`
	FileUID         uint64 `ebml:"FileUID"`
}
